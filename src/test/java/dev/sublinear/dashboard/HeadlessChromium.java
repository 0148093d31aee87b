package dev.sublinear.dashboard;

import dev.sublinear.testing.RunningService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Debian's chromium, headless, driven by its chromedriver; it reaches nothing but localhost. */
final class HeadlessChromium {

    private HeadlessChromium() {}

    static WebDriver start(Path profile) {
        return start(profile, null, null);
    }

    /**
     * A browser whose user reads {@code language} (a BCP 47 tag such as {@code de-DE}: the language
     * and locale pages see in {@code navigator.language} and {@code Intl}) and lives in {@code timeZone}
     * (an IANA zone); null for the machine's.
     */
    static WebDriver start(Path profile, String language, String timeZone) {
        ChromeOptions options = new ChromeOptions()
                .setBinary("/usr/bin/chromium")
                .addArguments(
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--disable-dev-shm-usage",
                        "--window-size=1280,1400",
                        "--user-data-dir=" + profile,
                        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1");
        if (language != null) {
            options.addArguments("--lang=" + language);
            options.setExperimentalOption("prefs", Map.of("intl.accept_languages", language));
        }
        ChromeDriverService.Builder builder = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort();
        if (timeZone != null) {
            // chromedriver passes its environment to the browser, whose clock reads TZ
            builder.withEnvironment(Map.of("TZ", timeZone));
        }
        ChromeDriverService driver = builder.build();
        return new ChromeDriver(driver, options);
    }

    /** A browser on the dashboard's {@code page} (a hash route such as {@code #/jobs}), signed in with {@code key}. */
    static WebDriver signedIn(Path profile, String page, String key) {
        return signIn(start(profile), page, key);
    }

    /** Signs {@code browser} in with {@code key} on the dashboard's {@code page}. */
    static WebDriver signIn(WebDriver browser, String page, String key) {
        browser.get(page);
        browser.findElement(By.id("api-key")).sendKeys(key);
        browser.findElement(By.cssSelector("#key-form button")).click();
        return browser;
    }

    static WebDriverWait waiting(WebDriver browser, int seconds) {
        // the pages re-render every second or two: an element read mid-render is simply read again
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        wait.ignoring(StaleElementReferenceException.class);
        return wait;
    }

    /** Ends a dashboard test class: the browser (if it started), then the service. */
    static void close(WebDriver browser, RunningService service) {
        if (browser != null) {
            browser.quit();
        }
        service.close();
    }
}
