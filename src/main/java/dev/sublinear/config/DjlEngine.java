package dev.sublinear.config;

import ai.djl.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Starts DJL's PyTorch engine once, eagerly, offline.
 *
 * <p>Why eagerly and from here: DJL discovers engines through the thread's context class loader. A
 * first lookup from a thread whose context loader is the system loader (a ForkJoinPool common-pool
 * thread, say) fails with "engine not found" and empties DJL's engine registry for the process. The
 * main thread (in {@code main()}) or the thread building the Spring context (in tests, which do not
 * go through {@code main()}) are safe places.
 */
@Component
public class DjlEngine {

    private static final Logger LOG = LoggerFactory.getLogger(DjlEngine.class);
    private static final String ENGINE = "PyTorch";

    private final Engine engine;

    public DjlEngine() {
        configureOffline();
        this.engine = start();
    }

    /** DJL must never reach the network: no model downloads, no usage tracking request. */
    public static void configureOffline() {
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
    }

    /** Starts (or returns) the PyTorch engine on the calling thread. */
    public static synchronized Engine start() {
        Engine engine = Engine.getEngine(ENGINE);
        LOG.info(
                "DJL engine {} {} started; default device {}, GPUs {}",
                engine.getEngineName(),
                engine.getVersion(),
                engine.defaultDevice(),
                engine.getGpuCount());
        return engine;
    }

    public Engine engine() {
        return engine;
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
