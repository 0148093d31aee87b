package dev.sublinear.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;

/**
 * The suite's databases: a real PostgreSQL (binaries from Maven Central, started once per test JVM,
 * one fresh database per caller) and H2 in PostgreSQL mode, as the application configures it.
 */
public final class TestDatabases {

    private static final AtomicInteger NEXT = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private TestDatabases() {}

    /** A JDBC URL, user and password. */
    public record Database(String kind, String url, String user, String password) {

        /** Spring Boot arguments that point an application at this database. */
        public String[] springArguments() {
            return new String[] {
                "--spring.datasource.url=" + url,
                "--spring.datasource.username=" + user,
                "--spring.datasource.password=" + password
            };
        }

        /** A pooled data source with the schema migrated. */
        public HikariDataSource migratedDataSource() {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setUsername(user);
            config.setPassword(password);
            config.setMaximumPoolSize(12);
            HikariDataSource ds = new HikariDataSource(config);
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
            return ds;
        }

        @Override
        public String toString() {
            return kind;
        }
    }

    /** A new, empty PostgreSQL database. */
    public static synchronized Database postgres() {
        try {
            if (postgres == null) {
                postgres = EmbeddedPostgres.builder().start();
                EmbeddedPostgres started = postgres;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (IOException ignored) {
                        // the JVM is going away
                    }
                }));
            }
            String name = "sublinear_" + NEXT.incrementAndGet();
            try (Connection c = postgres.getPostgresDatabase().getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            }
            return new Database("postgresql", postgres.getJdbcUrl("postgres", name), "postgres", "postgres");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new in-memory H2 database in PostgreSQL mode (lives while a connection is open). */
    public static Database h2() {
        return new Database(
                "h2",
                "jdbc:h2:mem:sublinear_" + NEXT.incrementAndGet()
                        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1",
                "sa",
                "");
    }
}
