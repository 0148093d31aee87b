/*
 * Fused CPU kernels for dev.sublinear.optimizer.Adafactor.
 *
 * Each function works on a range of rows (factored) or elements (full) of float32 tensors held in
 * direct buffers (the caller passes the whole tensor today). The point is the number of passes
 * over memory: composing library ops costs about 16 passes of the weight per step; these kernels
 * make 3 reads of the gradient, 1 read-modify-write of the weight and nothing else.
 *
 * g_eff = clamp(scale * g, -clip, clip) (clip <= 0: no clamp) is recomputed in each pass instead of
 * being stored, which is cheaper than a full-size temporary.
 */
#include <jni.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && defined(__x86_64__)
#define KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL
#endif

static inline float *address(JNIEnv *env, jobject buffer) {
    return buffer == NULL ? NULL : (float *) (*env)->GetDirectBufferAddress(env, buffer);
}

static inline float effective(float g, float scale, float clip) {
    float v = g * scale;
    if (clip > 0.0f) {
        v = v > clip ? clip : (v < -clip ? -clip : v);
    }
    return v;
}

/* Row sums of g_eff^2 into row_sq[r], column sums added into col_sq[b * m + j]; returns sum of x^2. */
KERNEL static double square_sums(const float *g, const float *x, float *row_sq, float *col_sq,
                                 int64_t r0, int64_t r1, int64_t n, int64_t m, float scale,
                                 float clip) {
    double x_sq = 0.0;
    for (int64_t r = r0; r < r1; r++) {
        const float *gr = g + r * m;
        float *col = col_sq + (r / n) * m;
        float row = 0.0f;
        for (int64_t j = 0; j < m; j++) {
            float v = effective(gr[j], scale, clip);
            float s = v * v;
            row += s;
            col[j] += s;
        }
        row_sq[r] = row;
        if (x != NULL) {
            const float *xr = x + r * m;
            float xs = 0.0f;
            for (int64_t j = 0; j < m; j++) {
                xs += xr[j] * xr[j];
            }
            x_sq += xs;
        }
    }
    return x_sq;
}

/* Sum over the rows of (g_eff * rf[r] * cf[b * m + j])^2: RMS(U) without storing U. */
KERNEL static double factored_update_squares(const float *g, const float *rf, const float *cf,
                                             int64_t r0, int64_t r1, int64_t n, int64_t m,
                                             float scale, float clip) {
    double total = 0.0;
    for (int64_t r = r0; r < r1; r++) {
        const float *gr = g + r * m;
        const float *c = cf + (r / n) * m;
        float row = 0.0f;
        for (int64_t j = 0; j < m; j++) {
            float u = effective(gr[j], scale, clip) * c[j];
            row += u * u;
        }
        total += (double) row * rf[r] * rf[r];
    }
    return total;
}

/* x = decay * x - S with S = k * U (no momentum) or M = beta1 * M + k * U, S = M. */
KERNEL static void factored_apply(float *x, const float *g, const float *rf, const float *cf,
                                  float *mom, int64_t r0, int64_t r1, int64_t n, int64_t m,
                                  float scale, float clip, float k, float decay, float beta1) {
    for (int64_t r = r0; r < r1; r++) {
        float *xr = x + r * m;
        const float *gr = g + r * m;
        const float *c = cf + (r / n) * m;
        float kr = k * rf[r];
        if (mom == NULL) {
            for (int64_t j = 0; j < m; j++) {
                xr[j] = decay * xr[j] - kr * effective(gr[j], scale, clip) * c[j];
            }
        } else {
            float *mr = mom + r * m;
            for (int64_t j = 0; j < m; j++) {
                mr[j] = beta1 * mr[j] + kr * effective(gr[j], scale, clip) * c[j];
                xr[j] = decay * xr[j] - mr[j];
            }
        }
    }
}

/* V = beta2 * V + (1 - beta2) * (g_eff^2 + eps1); out[0] += sum (g_eff / sqrt(V))^2, out[1] += sum x^2. */
KERNEL static void full_accumulate(const float *g, const float *x, float *v, double *out,
                                   int64_t from, int64_t to, float scale, float clip, float beta2,
                                   float eps1) {
    float rest = 1.0f - beta2;
    /* float sums per block, double across blocks: long vectors keep float32 accuracy */
    for (int64_t start = from; start < to; start += 4096) {
        int64_t end = start + 4096 < to ? start + 4096 : to;
        float u_sq = 0.0f;
        float x_sq = 0.0f;
        for (int64_t i = start; i < end; i++) {
            float e = effective(g[i], scale, clip);
            float vi = beta2 * v[i] + rest * (e * e + eps1);
            v[i] = vi;
            u_sq += e * e / vi;
        }
        if (x != NULL) {
            for (int64_t i = start; i < end; i++) {
                x_sq += x[i] * x[i];
            }
        }
        out[0] += u_sq;
        out[1] += x_sq;
    }
}

/* x = decay * x - S with U = g_eff / sqrt(V). */
KERNEL static void full_apply(float *x, const float *g, const float *v, float *mom, int64_t from,
                              int64_t to, float scale, float clip, float k, float decay,
                              float beta1) {
    if (mom == NULL) {
        for (int64_t i = from; i < to; i++) {
            x[i] = decay * x[i] - k * effective(g[i], scale, clip) / sqrtf(v[i]);
        }
    } else {
        for (int64_t i = from; i < to; i++) {
            mom[i] = beta1 * mom[i] + k * effective(g[i], scale, clip) / sqrtf(v[i]);
            x[i] = decay * x[i] - mom[i];
        }
    }
}

JNIEXPORT jdouble JNICALL Java_dev_sublinear_optimizer_CpuKernels_squareSums(
    JNIEnv *env, jclass cls, jobject g, jobject x, jobject rowSq, jobject colSq, jlong r0,
    jlong r1, jlong n, jlong m, jfloat scale, jfloat clip) {
    return square_sums(address(env, g), address(env, x), address(env, rowSq), address(env, colSq),
                       r0, r1, n, m, scale, clip);
}

JNIEXPORT jdouble JNICALL Java_dev_sublinear_optimizer_CpuKernels_factoredUpdateSquares(
    JNIEnv *env, jclass cls, jobject g, jobject rowFactors, jobject columnFactors, jlong r0,
    jlong r1, jlong n, jlong m, jfloat scale, jfloat clip) {
    return factored_update_squares(address(env, g), address(env, rowFactors),
                                   address(env, columnFactors), r0, r1, n, m, scale, clip);
}

JNIEXPORT void JNICALL Java_dev_sublinear_optimizer_CpuKernels_factoredApply(
    JNIEnv *env, jclass cls, jobject x, jobject g, jobject rowFactors, jobject columnFactors,
    jobject momentum, jlong r0, jlong r1, jlong n, jlong m, jfloat scale, jfloat clip, jfloat k,
    jfloat decay, jfloat beta1) {
    factored_apply(address(env, x), address(env, g), address(env, rowFactors),
                   address(env, columnFactors), address(env, momentum), r0, r1, n, m, scale, clip,
                   k, decay, beta1);
}

JNIEXPORT void JNICALL Java_dev_sublinear_optimizer_CpuKernels_fullAccumulate(
    JNIEnv *env, jclass cls, jobject g, jobject x, jobject v, jdoubleArray out, jlong from,
    jlong to, jfloat scale, jfloat clip, jfloat beta2, jfloat eps1) {
    double sums[2] = {0.0, 0.0};
    full_accumulate(address(env, g), address(env, x), address(env, v), sums, from, to, scale, clip,
                    beta2, eps1);
    (*env)->SetDoubleArrayRegion(env, out, 0, 2, sums);
}

JNIEXPORT void JNICALL Java_dev_sublinear_optimizer_CpuKernels_fullApply(
    JNIEnv *env, jclass cls, jobject x, jobject g, jobject v, jobject momentum, jlong from,
    jlong to, jfloat scale, jfloat clip, jfloat k, jfloat decay, jfloat beta1) {
    full_apply(address(env, x), address(env, g), address(env, v), address(env, momentum), from, to,
               scale, clip, k, decay, beta1);
}

JNIEXPORT jlong JNICALL Java_dev_sublinear_optimizer_CpuKernels_address(JNIEnv *env, jclass cls,
                                                                        jobject buffer) {
    return (jlong) (intptr_t) (*env)->GetDirectBufferAddress(env, buffer);
}
