package dev.sublinear.dashboard;

import java.nio.file.Path;
import java.time.Duration;
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
        ChromeDriverService driver = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(driver, options);
    }

    /** A browser on the dashboard's {@code page} (a hash route such as {@code #/jobs}), signed in with {@code key}. */
    static WebDriver signedIn(Path profile, String page, String key) {
        WebDriver browser = start(profile);
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
}
