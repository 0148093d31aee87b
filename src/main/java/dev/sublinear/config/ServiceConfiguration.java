package dev.sublinear.config;

import dev.sublinear.api.HttpProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.storage.FileSystemArtifactStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The job service's shared pieces: the clock, the artifact store and local scratch directories. */
@Configuration(proxyBeanMethods = false)
class ServiceConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    ArtifactStore artifactStore(SublinearProperties properties, DataDirectory dataDirectory) {
        Path root = properties.artifacts().toAbsolutePath().normalize();
        try {
            return new FileSystemArtifactStore(root);
        } catch (IOException e) {
            throw new UncheckedIOException("sublinear.artifacts-dir " + root + " cannot be used", e);
        }
    }

    /**
     * Tomcat's own error pages become problem+json (see {@link ProblemErrorReportValve}), and every
     * request passes the {@link ClientGuardValve} first.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorPages(HttpProperties http) {
        return factory -> {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
            factory.addContextValves(new ClientGuardValve(http.maxRequestsPerClient()));
        };
    }

    @Bean
    LocalDirectories localDirectories(DataDirectory dataDirectory) {
        return new LocalDirectories(
                dataDirectory.path().resolve("work"), dataDirectory.path().resolve("cache/models"));
    }
}
