package dev.sublinear.jobs.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The cache of loaded models keeps within its bytes: the least recently used model nobody uses goes
 * first, a model in use is never closed under its generation, and a model larger than the budget is
 * refused.
 */
class ModelCacheTest {

    private final AtomicInteger loads = new AtomicInteger();

    private ModelService.Loader tiny(long seed) {
        return () -> {
            loads.incrementAndGet();
            return LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), seed, Device.cpu());
        };
    }

    private static long tinyBytes() {
        try (LoadedModel m =
                LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), 0, Device.cpu())) {
            assertThat(ModelCache.bytesOf(m)).isEqualTo(m.parameterCount() * 4);
            return ModelCache.bytesOf(m);
        }
    }

    @Test
    void theLeastRecentlyUsedModelNobodyUsesIsEvictedToMakeRoom() throws Exception {
        long one = tinyBytes();
        try (ModelCache cache = new ModelCache(2 * one + one / 2, "budget")) {
            try (ModelCache.Lease a = cache.acquire("a", 0, tiny(1))) {
                assertThat(a.model().parameterCount()).isPositive();
            }
            cache.acquire("b", 0, tiny(2)).close();
            cache.acquire("a", 0, tiny(1)).close(); // a is now the most recently used
            assertThat(loads.get()).isEqualTo(2);
            cache.acquire("c", 0, tiny(3)).close();
            assertThat(cache.keys()).containsExactly("a", "c");
            assertThat(cache.used()).isEqualTo(2 * one);
            assertThat(loads.get()).isEqualTo(3);
        }
    }

    @Test
    void aModelInUseIsNeverClosedAndADroppedOneClosesWithItsLastLease() throws Exception {
        long one = tinyBytes();
        try (ModelCache cache = new ModelCache(one + one / 2, "sublinear.inference.model-cache-bytes")) {
            ModelCache.Lease a = cache.acquire("a", 0, tiny(1));
            ModelCache.Lease shared = cache.acquire("a", 0, tiny(1));
            assertThat(shared.model()).isSameAs(a.model());
            // b would need a's room while two generations use a: refused, a untouched
            assertThatThrownBy(() -> cache.acquire("b", 0, tiny(2)))
                    .isInstanceOf(ModelCacheException.class)
                    .hasMessageContaining("sublinear.inference.model-cache-bytes")
                    .extracting(e -> ((ModelCacheException) e).reason())
                    .isEqualTo(ModelCacheException.Reason.FULL);
            assertThat(a.model().parameterCount()).isPositive();
            cache.drop("a");
            a.close();
            assertThat(shared.model().parameterCount())
                    .as("open while a lease holds it")
                    .isPositive();
            shared.close();
            assertThat(cache.keys()).isEmpty();
            try (ModelCache.Lease b = cache.acquire("b", 0, tiny(2))) {
                assertThat(cache.keys()).containsExactly("b");
            }
        }
    }

    @Test
    void aModelLargerThanTheBudgetIsRefused() {
        long one = tinyBytes();
        try (ModelCache cache = new ModelCache(one - 1, "sublinear.inference.model-cache-bytes")) {
            assertThatThrownBy(() -> cache.acquire("a", 0, tiny(1)))
                    .isInstanceOf(ModelCacheException.class)
                    .hasMessageContaining("more than sublinear.inference.model-cache-bytes")
                    .extracting(e -> ((ModelCacheException) e).reason())
                    .isEqualTo(ModelCacheException.Reason.TOO_LARGE);
            assertThatThrownBy(() -> cache.acquire("b", one * 10, tiny(1))).isInstanceOf(ModelCacheException.class);
            assertThat(loads.get())
                    .as("refused from its estimate, before loading")
                    .isEqualTo(1);
            assertThat(cache.keys()).isEmpty();
        }
    }
}
