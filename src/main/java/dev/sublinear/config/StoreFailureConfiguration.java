package dev.sublinear.config;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import dev.sublinear.jobs.common.InsufficientStorageException;
import dev.sublinear.storage.StorageFull;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.jdbc.support.SQLErrorCodeSQLExceptionTranslator;
import org.springframework.jdbc.support.SQLExceptionTranslator;

/**
 * A full disk under the job store: refused writes are told apart from outages, and the embedded
 * database comes back by itself once there is room again.
 *
 * <p>Measured with H2 2.4.240 (WRITE_DELAY=0) on a full tmpfs: the commit fails with error 50000
 * (an MVStoreException around "No space left on device") and H2 then closes the database; every
 * pooled connection answers 90098 "The database has been closed" from then on, even after space
 * is freed, because Hikari does not take 90098 for a broken connection (hence "key store
 * unreachable" forever). A new connection reopens the file, reads work even while the disk is
 * full, and the failed write is not in it. So such a failure evicts every pooled connection.
 */
@Configuration(proxyBeanMethods = false)
class StoreFailureConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(StoreFailureConfiguration.class);
    /** H2's DATABASE_IS_CLOSED. */
    private static final int H2_DATABASE_CLOSED = 90098;

    /** JdbcTemplate, and so JdbcClient, translates with this bean when there is one. */
    @Bean
    SQLExceptionTranslator storageAwareExceptionTranslator(DataSource dataSource) {
        SQLExceptionTranslator standard = new SQLErrorCodeSQLExceptionTranslator(dataSource);
        return (task, sql, e) -> {
            if (StorageFull.causedBy(e)) {
                return new InsufficientStorageException(task + ": the store's disk is full", e);
            }
            return standard.translate(task, sql, e);
        };
    }

    /** Commits of TransactionTemplate translate the same way. */
    @Bean
    TransactionManagerCustomizer<JdbcTransactionManager> storageAwareCommits(SQLExceptionTranslator translator) {
        return manager -> manager.setExceptionTranslator(translator);
    }

    @Bean
    static BeanPostProcessor reopenClosedDatabase() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String name) {
                if (bean instanceof HikariDataSource pool
                        && pool.getExceptionOverride() == null
                        && pool.getExceptionOverrideClassName() == null) {
                    pool.setExceptionOverride(new EvictWhenClosed(pool));
                }
                return bean;
            }
        };
    }

    /** Drops every pooled connection once the database closed itself, so the next one reopens it. */
    private record EvictWhenClosed(HikariDataSource pool) implements SQLExceptionOverride {

        @java.lang.Override // named in full: plain @Override names Hikari's nested enum here
        public Override adjudicate(SQLException e) {
            if (e.getErrorCode() != H2_DATABASE_CLOSED && !StorageFull.causedBy(e)) {
                return Override.CONTINUE_EVICT;
            }
            LOG.warn(
                    "The database refused a write or closed itself ({}); reconnecting every pooled connection",
                    e.getMessage());
            if (pool.getHikariPoolMXBean() != null) {
                pool.getHikariPoolMXBean().softEvictConnections();
            }
            return Override.MUST_EVICT;
        }
    }
}
