package dev.sublinear;

import dev.sublinear.config.DjlEngine;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Sublinear: fine-tuning as a service, trained with Adafactor on DJL. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SublinearApplication {

    public static void main(String[] args) {
        // Before anything touches DJL: no downloads, no tracking request, and the engine started
        // on the main thread (see DjlEngine for why the thread matters).
        DjlEngine.configureOffline();
        DjlEngine.start();
        SpringApplication.run(SublinearApplication.class, args);
    }
}
