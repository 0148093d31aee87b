package dev.sublinear.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import tools.jackson.databind.JsonNode;

/**
 * The job page in headless Chromium against the real service, as a German reader in India sees it:
 * the cancel/pause/resume buttons follow the job's status exactly as the API takes the actions, the
 * loss chart's log toggle changes its axis, and times are in the viewer's locale and zone with ages
 * that move on.
 */
class JobPageTest {

    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /** A zone half an hour off every whole-hour zone, so a time shown in the machine's zone cannot pass. */
    static final ZoneId ZONE = ZoneId.of("Asia/Kolkata");

    /**
     * The statuses in which each action changes a job, read from JobService (cancel, pause, resume),
     * not from the dashboard: elsewhere the API refuses it (409) or does nothing.
     */
    static final Map<String, Set<String>> CHANGES = Map.of(
            "cancel", Set.of("queued", "running", "paused"),
            "pause", Set.of("queued", "running"),
            "resume", Set.of("paused"));

    @TempDir
    static Path dir;

    static RunningService service;
    static WebDriver browser;
    static String file;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        browser = HeadlessChromium.signIn(
                HeadlessChromium.start(dir.resolve("chromium-profile"), "de-DE", ZONE.getId()),
                service.baseUrl() + "/#/files",
                RunningService.ADMIN_KEY);
        file = service.uploadFile(SyntheticData.reversal(dir.resolve("reverse.jsonl"), 48, 1), "fine-tune");
    }

    @AfterAll
    static void stop() {
        HeadlessChromium.close(browser, service);
    }

    private static WebDriverWait waiting(int seconds) {
        return HeadlessChromium.waiting(browser, seconds);
    }

    private static Object script(String js, Object... arguments) {
        return ((JavascriptExecutor) browser).executeScript(js, arguments);
    }

    /**
     * A job of {@code steps} steps (enough epochs of the 48 examples that max_steps is what ends it:
     * the data-size rule's default would end a long job after 36 steps, seconds on an idle machine);
     * the service's one worker runs one job at a time.
     */
    private static String job(int steps) {
        return service.createJob("""
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"n_epochs": 1000, "max_steps": %d, "batch_size": 4,
                                     "checkpoint_interval_steps": 5}}""".formatted(file, steps));
    }

    private static String status(String job) {
        return service.get("/v1/fine_tuning/jobs/" + job)
                .expect(200)
                .json()
                .get("status")
                .asString();
    }

    private static void open(String job) {
        browser.get(service.baseUrl() + "/#/jobs/" + job);
        // a hash change on the same document does not reload it: make sure the page is this job's
        browser.navigate().refresh();
    }

    /** Waits for the page to show {@code status}, then reads each button: enabled, or the title saying why not. */
    private static Map<String, String> buttonsAt(String status) {
        waiting(120).until(d -> d.findElement(By.id("job-status")).getText().equals(status));
        Map<String, String> out = new LinkedHashMap<>();
        for (String action : List.of("cancel", "pause", "resume")) {
            WebElement button = browser.findElement(By.id(action));
            out.put(action, button.isEnabled() ? "enabled" : button.getDomAttribute("title"));
        }
        return out;
    }

    /**
     * The buttons offered for a job in {@code status} are exactly the actions that change it; each one
     * withheld has a reason, and the API indeed does nothing with it (409, or the job unchanged).
     */
    private static void assertButtonsFollow(String job, String status) {
        Map<String, String> buttons = buttonsAt(status);
        for (String action : buttons.keySet()) {
            boolean offered = CHANGES.get(action).contains(status);
            if (offered) {
                assertThat(buttons.get(action))
                        .as("%s on a %s job", action, status)
                        .isEqualTo("enabled");
                continue;
            }
            assertThat(buttons.get(action))
                    .as("%s on a %s job: disabled, saying why", action, status)
                    .isNotEqualTo("enabled")
                    .isNotBlank();
            ServiceClient.Response answer = service.post("/v1/fine_tuning/jobs/" + job + "/" + action, "");
            if (answer.status() != 409) {
                assertThat(answer.status()).as("%s on a %s job", action, status).isEqualTo(200);
                assertThat(answer.json().get("status").asString()).isEqualTo(status);
                assertThat(status(job)).as("after %s", action).isEqualTo(status);
            }
        }
    }

    @Test
    void theButtonsFollowTheJobsStatus() {
        String running = job(100_000);
        service.awaitStatus(running, "running", Duration.ofSeconds(60));
        String waiting = job(4);
        assertThat(status(waiting)).isEqualTo("queued");

        open(running);
        assertButtonsFollow(running, "running");
        assertThat(buttonsAt("running").get("resume")).contains("only a paused job can be resumed");

        open(waiting);
        assertButtonsFollow(waiting, "queued");
        browser.findElement(By.id("pause")).click();
        assertButtonsFollow(waiting, "paused");
        assertThat(buttonsAt("paused").get("pause")).isEqualTo("The job is already paused");
        browser.findElement(By.id("resume")).click();
        assertButtonsFollow(waiting, "queued");
        browser.findElement(By.id("cancel")).click();
        assertButtonsFollow(waiting, "cancelled");
        assertThat(buttonsAt("cancelled").get("cancel")).contains("ended (cancelled)");

        // the running job's cancel ends it at its next step; a short job then runs to the end
        open(running);
        browser.findElement(By.id("cancel")).click();
        assertButtonsFollow(running, "cancelled");
        String done = job(2);
        service.awaitStatus(done, "succeeded", Duration.ofSeconds(120));
        open(done);
        assertButtonsFollow(done, "succeeded");
    }

    @Test
    void theLossChartsLogToggleChangesItsAxis() throws Exception {
        // the reversal task learnt over 40 epochs (as DashboardTest's job): its loss falls from about 6 by orders
        // of magnitude
        String job = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"n_epochs": 40, "batch_size": 8,
                                     "checkpoint_interval_steps": 50}}""".formatted(file));
        open(job);
        waiting(300).until(d -> d.findElement(By.id("job-status")).getText().equals("succeeded"));
        List<Double> losses = new ArrayList<>();
        for (JsonNode p : service.get("/v1/fine_tuning/jobs/" + job + "/metrics?max_points=500")
                .expect(200)
                .json()
                .get("data")) {
            for (String key : List.of("train_loss", "valid_loss")) {
                if (p.hasNonNull(key)) {
                    losses.add(p.get(key).asDouble());
                }
            }
        }
        WebElement chart = browser.findElement(By.id("chart-loss"));
        // the page's last pass draws every loss the job reported, then stops polling: the chart stays
        waiting(30).until(d -> String.valueOf(losses.size()).equals(chart.getDomAttribute("data-points")));
        WebElement toggle = browser.findElement(By.id("loss-log"));
        if (toggle.isSelected()) {
            toggle.click(); // a previous run's choice is remembered
        }
        waiting(10).until(d -> "linear".equals(chart.getDomAttribute("data-scale")));
        Files.createDirectories(SCREENSHOTS);
        Files.write(
                SCREENSHOTS.resolve("job-page-loss-linear.png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        double low = losses.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double high = losses.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertThat(high / low)
                .as("the loss fell by two orders of magnitude or more")
                .isGreaterThan(100);
        List<Double> linearTicks = ticks(chart);
        assertThat(linearTicks.get(1) - linearTicks.get(0))
                .as("linear ticks are evenly spaced")
                .isCloseTo(linearTicks.get(2) - linearTicks.get(1), offset(1e-9));

        toggle.click();
        waiting(10).until(d -> "log".equals(chart.getDomAttribute("data-scale")));
        List<Double> logTicks = ticks(chart);
        assertThat(logTicks).isNotEqualTo(linearTicks);
        // on the linear axis every loss below the first tick above zero is drawn in one band; the log axis
        // gives each decade the same room
        assertThat(logTicks.get(logTicks.size() - 1) / logTicks.get(0)).isGreaterThanOrEqualTo(1000);
        // the axis runs from the decade at or below the lowest loss to one at or above the highest
        assertThat(logTicks.get(0)).isEqualTo(Math.pow(10, Math.floor(Math.log10(low))), within());
        assertThat(logTicks.get(logTicks.size() - 1)).isGreaterThanOrEqualTo(high);
        for (double t : logTicks) {
            // a power of ten, or 2 or 5 times one
            double mantissa = t / Math.pow(10, Math.floor(Math.log10(t) + 1e-9));
            assertThat(List.of(1.0, 2.0, 5.0))
                    .as("tick %s", t)
                    .anySatisfy(m -> assertThat(mantissa).isCloseTo(m, offset(1e-6)));
        }
        Files.write(
                SCREENSHOTS.resolve("job-page-loss-log.png"),
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // the choice is remembered for the next job page
        open(job);
        waiting(30).until(d -> "log".equals(d.findElement(By.id("chart-loss")).getDomAttribute("data-scale")));
        browser.findElement(By.id("loss-log")).click();
        waiting(10)
                .until(d -> "linear".equals(d.findElement(By.id("chart-loss")).getDomAttribute("data-scale")));
    }

    @Test
    void aLogAxisLeavesOutValuesItCannotPlaceAndSpansTheRestInDecades() {
        browser.get(service.baseUrl() + "/#/files");
        waiting(20).until(d -> !d.findElements(By.id("files")).isEmpty());
        String drawn = (String) script("""
                const c = document.createElement("canvas");
                document.body.append(c);
                const series = [{ name: "loss", points: [[1, 30], [2, 0], [3, -1], [4, 2e-4], [5, null]] }];
                Charts.line(c, series, { log: true });
                const log = [c.dataset.scale, c.dataset.points, c.dataset.hidden, c.dataset.yTicks].join(" ");
                Charts.line(c, series, {});
                const linear = [c.dataset.scale, c.dataset.points, c.dataset.hidden, c.dataset.yTicks].join(" ");
                c.remove();
                return log + " | " + linear;""");
        // 30 and 2e-4: decades 1e-4 to 100, six of them, each labelled; 0 and -1 left out and counted
        assertThat(drawn).isEqualTo("log 2 2 1e-4,0.001,0.01,0.1,1,10,100 | linear 4 0 -10,0,10,20,30");
    }

    @Test
    void timesAreInTheViewersLocaleAndZoneWithAgesThatMoveOn() {
        assertThat(script("return navigator.language")).isEqualTo("de-DE");
        // a file uploaded now: its age is in seconds, which move on while the test watches
        long created = service.upload("now.jsonl", "{\"text\": \"ab\"}\n".getBytes(), "fine-tune")
                .expect(201)
                .json()
                .get("created_at")
                .asLong();
        browser.get(service.baseUrl() + "/#/files");
        browser.navigate().refresh();
        By shown = By.cssSelector("#files time[data-epoch='" + created + "']");
        waiting(20).until(d -> !d.findElements(shown).isEmpty());
        WebElement time = browser.findElement(shown);

        // German medium date and time (CLDR: dd.MM.y, HH:mm:ss), in the browser's zone, not the machine's
        String expected = DateTimeFormatter.ofPattern("dd.MM.yyyy, HH:mm:ss")
                .withZone(ZONE)
                .format(Instant.ofEpochSecond(created));
        assertThat(time.getText()).startsWith(expected);
        assertThat(Instant.parse(time.getDomAttribute("datetime"))).isEqualTo(Instant.ofEpochSecond(created));

        // the Files page renders once; its ages are brought up to date in place
        WebElement age = time.findElement(By.className("age"));
        String first = age.getText();
        assertThat(first).matches("\\((jetzt|vor \\d+ Sekunden?|vor \\d+ Minuten?|in \\d+ Sekunden?)\\)");
        waiting(10).until(d -> !age.getText().equals(first));
        assertThat(age.getText()).matches("\\(vor \\d+ (Sekunden?|Minuten?)\\)");
    }

    /** The canvas's y tick labels as numbers (as the chart wrote them, e.g. "1e-5"). */
    private static List<Double> ticks(WebElement chart) {
        String ticks = chart.getDomAttribute("data-y-ticks");
        assertThat(ticks).isNotBlank();
        return Arrays.stream(ticks.split(",")).map(Double::parseDouble).toList();
    }

    private static Offset<Double> within() {
        return offset(1e-12);
    }
}
