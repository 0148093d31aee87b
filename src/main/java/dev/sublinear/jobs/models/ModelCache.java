package dev.sublinear.jobs.models;

import ai.djl.nn.Parameter;
import dev.sublinear.training.model.LoadedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Loaded models, kept within a budget of bytes (their parameters'), least recently used first out.
 *
 * <p>A read/write discipline without a lock per model: a generation holds a {@link Lease} (a reader;
 * many generations share one model, each with its own key/value cache), and a model is closed (the
 * writer) only when nobody holds a lease on it. Eviction picks only models nobody uses; a model
 * dropped while in use ({@link #drop}) is closed when its last lease ends. Loading happens outside
 * the cache's lock, so that generations on loaded models do not wait for a slow load; two requests
 * for the same model wait for one load.
 */
final class ModelCache implements AutoCloseable {

    private final long budget;
    private final String setting;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, CompletableFuture<Void>> loading = new HashMap<>();
    private long used;
    private boolean closed;

    /** @param setting the setting's name, for the messages that refuse a model */
    ModelCache(long budget, String setting) {
        this.budget = budget;
        this.setting = setting;
    }

    /**
     * The model under {@code key}, loaded by {@code loader} if it is not; the lease keeps it open until
     * closed.
     *
     * @param estimate the model's expected bytes (0 when unknown), to make room before loading
     * @throws ModelCacheException when the model is larger than the budget, or the models in use
     *     leave it no room
     */
    Lease acquire(String key, long estimate, ModelService.Loader loader) throws IOException {
        while (true) {
            CompletableFuture<Void> theirs;
            CompletableFuture<Void> mine = null;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the model cache is closed");
                }
                Entry e = entries.get(key);
                if (e != null) {
                    e.users++;
                    return new Lease(e);
                }
                if (estimate > budget) {
                    throw tooLarge(estimate);
                }
                theirs = loading.get(key);
                if (theirs == null) {
                    mine = new CompletableFuture<>();
                    loading.put(key, mine);
                    evictUntilFree(estimate);
                }
            }
            if (mine == null) {
                try {
                    theirs.get();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while another request loaded the model", ex);
                } catch (ExecutionException ex) { // their load failed: try ours, which reports our own failure
                }
                continue;
            }
            try {
                return load(key, loader);
            } finally {
                synchronized (this) {
                    loading.remove(key);
                }
                mine.complete(null);
            }
        }
    }

    private Lease load(String key, ModelService.Loader loader) throws IOException {
        LoadedModel model = loader.load();
        long bytes = bytesOf(model);
        synchronized (this) {
            if (bytes > budget) {
                model.close();
                throw tooLarge(bytes);
            }
            evictUntilFree(bytes);
            if (used + bytes > budget || closed) {
                model.close();
                throw new ModelCacheException(
                        ModelCacheException.Reason.FULL,
                        "the models in use fill " + setting + " (" + budget + " bytes); this model needs " + bytes
                                + " bytes: retry when a generation has ended");
            }
            Entry e = new Entry(key, model, bytes);
            e.users = 1;
            entries.put(key, e);
            used += bytes;
            return new Lease(e);
        }
    }

    /** Closes least recently used models nobody uses until {@code bytes} more fit, or none is left to close. */
    private void evictUntilFree(long bytes) {
        Iterator<Entry> it = entries.values().iterator();
        while (used + bytes > budget && it.hasNext()) {
            Entry e = it.next();
            if (e.users == 0) {
                it.remove();
                used -= e.bytes;
                e.model.close();
            }
        }
    }

    private ModelCacheException tooLarge(long bytes) {
        return new ModelCacheException(
                ModelCacheException.Reason.TOO_LARGE,
                "the model takes " + bytes + " bytes loaded, more than " + setting + " (" + budget + " bytes)");
    }

    /** Forgets the model under {@code key}: closed now if unused, else when its last lease ends. */
    synchronized void drop(String key) {
        Entry e = entries.remove(key);
        if (e != null) {
            used -= e.bytes;
            e.dropped = true;
            if (e.users == 0) {
                e.model.close();
            }
        }
    }

    synchronized boolean contains(String key) {
        return entries.containsKey(key);
    }

    /** Keys, least recently used first (what a test observes of eviction). */
    synchronized List<String> keys() {
        return new ArrayList<>(entries.keySet());
    }

    /** The bytes of the models held. */
    synchronized long used() {
        return used;
    }

    /** Closes every model; callers have stopped using them (see {@link Inference#close}). */
    @Override
    public synchronized void close() {
        closed = true;
        entries.values().forEach(e -> e.model.close());
        entries.clear();
        used = 0;
    }

    /** The bytes of a model's parameters, as loaded (a bfloat16 checkpoint may load as float32). */
    static long bytesOf(LoadedModel model) {
        long bytes = 0;
        for (Parameter p : model.block().getParameters().values()) {
            if (p.isInitialized()) {
                bytes += p.getArray().size() * p.getArray().getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    private synchronized void release(Entry e) {
        e.users--;
        if (e.users == 0 && e.dropped) {
            e.model.close();
        }
    }

    private static final class Entry {
        final String key;
        final LoadedModel model;
        final long bytes;
        int users;
        boolean dropped;

        Entry(String key, LoadedModel model, long bytes) {
            this.key = key;
            this.model = model;
            this.bytes = bytes;
        }
    }

    /** A model in use: open until the lease is closed. */
    final class Lease implements AutoCloseable {

        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        LoadedModel model() {
            return entry.model;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                release(entry);
            }
        }
    }
}
