package dev.sublinear.jobs.tenants;

import dev.sublinear.jobs.common.ConflictException;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;

/**
 * Tenants, their API keys and their limits. A key is shown once, when created; only its SHA-256 is
 * kept (keys are 238 random bits, so a fast hash is enough: there is nothing to guess).
 */
@Service
public class Tenants {

    public static final String DEFAULT = "default";
    private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a successful lookup is trusted; a revoked key stops working within this. */
    private static final long CACHE_MILLIS = 5_000;

    private final TenantStore store;
    private final LimitsProperties defaults;
    private final Clock clock;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<String, CachedLimits> limitsCache = new ConcurrentHashMap<>();

    public Tenants(TenantStore store, LimitsProperties defaults, Clock clock) {
        this.store = store;
        this.defaults = defaults;
        this.clock = clock;
    }

    /** Who a request acts for. */
    public record Principal(String tenantId, String keyId, boolean admin) {}

    /** A key just made: {@code secret} is shown this once. */
    public record NewKey(ApiKeyRecord key, String secret) {}

    private record Cached(Principal principal, long until) {}

    private record CachedLimits(TenantLimits limits, long until) {}

    public Optional<Principal> authenticate(String secret) {
        String hash = sha256(secret);
        long now = clock.millis();
        Cached hit = cache.get(hash);
        if (hit != null && hit.until() > now) {
            return Optional.of(hit.principal());
        }
        Optional<Principal> principal =
                store.findKeyByHash(hash).map(k -> new Principal(k.tenantId(), k.id(), k.admin()));
        principal.ifPresentOrElse(p -> cache.put(hash, new Cached(p, now + CACHE_MILLIS)), () -> cache.remove(hash));
        return principal;
    }

    /**
     * Makes sure an administrator can get in: the configured key becomes an admin key of the
     * default tenant, and any other key made at an earlier start is revoked (a rotated key stops
     * working); with none configured and no admin key stored, one is generated.
     *
     * @return a generated key to show once, or empty
     * @throws IllegalStateException if the configured key is weak, revoked or an ordinary key
     */
    public Optional<String> bootstrap(String configuredAdminKey) {
        if (configuredAdminKey != null && !configuredAdminKey.isEmpty()) {
            String weakness = AdminKeyPolicy.weakness(configuredAdminKey);
            if (weakness != null) {
                throw new IllegalStateException("sublinear.admin.key (SUBLINEAR_ADMIN_KEY) " + weakness);
            }
            String hash = sha256(configuredAdminKey);
            Optional<ApiKeyRecord> stored = store.findAnyKeyByHash(hash);
            if (stored.isPresent() && stored.get().revokedAt() != null) {
                throw new IllegalStateException("sublinear.admin.key (SUBLINEAR_ADMIN_KEY) was revoked; a revoked key"
                        + " never works again: configure a new one");
            }
            if (stored.isPresent() && !stored.get().admin()) {
                throw new IllegalStateException("sublinear.admin.key (SUBLINEAR_ADMIN_KEY) is an ordinary tenant key;"
                        + " configure a key of its own");
            }
            if (stored.isEmpty()) {
                try {
                    insertKey(DEFAULT, "bootstrap admin key (configured)", true, configuredAdminKey, true);
                } catch (DuplicateKeyException e) {
                    // another API process starting with the same key stored it first
                }
            }
            if (store.revokeBootstrapKeysExcept(hash, clock.millis()) > 0) {
                cache.clear();
            }
            return Optional.empty();
        }
        if (store.anyAdminKey()) {
            return Optional.empty();
        }
        return Optional.of(insertKey(DEFAULT, "bootstrap admin key (generated)", true, newSecret(), true)
                .secret());
    }

    public TenantRecord createTenant(String id, String name) {
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw new InvalidRequestException("id", "a tenant id is 1 to 64 lower-case letters, digits or '-'");
        }
        TenantRecord tenant =
                new TenantRecord(id, name == null ? id : name, TenantLimits.Overrides.NONE, clock.millis());
        try {
            store.insert(tenant);
        } catch (DuplicateKeyException e) {
            throw new ConflictException("id", "tenant " + id + " exists");
        }
        return tenant;
    }

    public List<TenantRecord> tenants() {
        return store.list();
    }

    public TenantRecord tenant(String id) {
        return store.find(id).orElseThrow(() -> new NotFoundException("tenant", id, "tenant_id"));
    }

    public NewKey createKey(String tenantId, String name, boolean admin) {
        tenant(tenantId);
        return insertKey(tenantId, name == null ? "key" : name, admin, newSecret(), false);
    }

    public List<ApiKeyRecord> keys(String tenantId) {
        tenant(tenantId);
        return store.keys(tenantId);
    }

    public void revoke(String keyId) {
        if (!store.revoke(keyId, clock.millis())) {
            throw new NotFoundException("active key", keyId, "key_id");
        }
        cache.clear();
    }

    /** The tenant's limits; read at most every few seconds per tenant (every request checks its rate). */
    public TenantLimits limits(String tenantId) {
        long now = clock.millis();
        CachedLimits hit = limitsCache.get(tenantId);
        if (hit != null && hit.until() > now) {
            return hit.limits();
        }
        TenantLimits limits = store.find(tenantId)
                .map(TenantRecord::overrides)
                .orElse(TenantLimits.Overrides.NONE)
                .over(defaults);
        limitsCache.put(tenantId, new CachedLimits(limits, now + CACHE_MILLIS));
        return limits;
    }

    public TenantLimits setLimits(String tenantId, TenantLimits.Overrides overrides) {
        tenant(tenantId);
        store.setOverrides(tenantId, overrides);
        limitsCache.remove(tenantId);
        return limits(tenantId);
    }

    private NewKey insertKey(String tenantId, String name, boolean admin, String secret, boolean bootstrap) {
        ApiKeyRecord key = new ApiKeyRecord(
                Ids.next("key"),
                tenantId,
                name,
                "…" + secret.substring(secret.length() - 4),
                admin,
                clock.millis(),
                null);
        store.insertKey(key, sha256(secret), bootstrap);
        return new NewKey(key, secret);
    }

    private static String newSecret() {
        StringBuilder b = new StringBuilder("sl-");
        for (int i = 0; i < 40; i++) {
            b.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        }
        return b.toString();
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
