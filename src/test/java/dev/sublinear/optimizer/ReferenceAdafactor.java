package dev.sublinear.optimizer;

import java.util.function.IntToDoubleFunction;

/**
 * Adafactor written from the paper's Algorithms 4 and 5 (as docs/optimizer.md states them) line
 * by line, in double precision, on plain arrays. It shares no code with the class under test: it is what the tests
 * hold it to.
 */
final class ReferenceAdafactor {

    // Options, with the paper's defaults.
    boolean relativeStep = true;
    boolean scaleParameter = true;
    boolean warmupInit;
    boolean factored = true;
    int minDimSizeToFactor = 1;
    double beta1;
    double decayRate = 0.8;
    /** A fixed beta2 with Adam's bias correction (0: the increasing decay). */
    double fixedBeta2;

    double clipThreshold = 1.0;
    double eps1 = 1e-30;
    double eps2 = 1e-3;
    double weightDecay;
    double rescaleGrad = 1.0;
    double clipGrad = -1;
    IntToDoubleFunction learningRate;

    private final long[] shape;
    private final double[] x;
    private int t;
    private double[] r;
    private double[] c;
    private double[] v;
    private double[] m;

    // What the latest step did.
    double lastAlpha;
    double lastUpdateRms;
    boolean lastClipped;
    int clippedSteps;
    int unclippedSteps;

    ReferenceAdafactor(long[] shape, double[] initial) {
        this.shape = shape.clone();
        this.x = initial.clone();
    }

    double[] weights() {
        return x.clone();
    }

    /** Overwrites the weights, for parameters stored in a lower precision than the reference's. */
    void setWeights(double[] values) {
        System.arraycopy(values, 0, x, 0, x.length);
    }

    boolean isFactored() {
        int rank = shape.length;
        return factored && rank >= 2 && shape[rank - 2] >= minDimSizeToFactor && shape[rank - 1] >= minDimSizeToFactor;
    }

    void step(double[] rawGradient) {
        int size = x.length;
        double[] g = new double[size];
        for (int i = 0; i < size; i++) {
            g[i] = rawGradient[i] * rescaleGrad;
            if (clipGrad > 0) {
                g[i] = Math.max(-clipGrad, Math.min(clipGrad, g[i]));
            }
        }
        t++;
        double rho =
                relativeStep ? Math.min(warmupInit ? 1e-6 * t : 1e-2, 1 / Math.sqrt(t)) : learningRate.applyAsDouble(t);
        double alpha = scaleParameter ? Math.max(eps2, rms(x)) * rho : rho;
        // fixed beta2: a plain moving average from zero, divided by 1 - beta2^t where it is read
        double beta2 = fixedBeta2 > 0 ? fixedBeta2 : 1 - Math.pow(t, -decayRate);
        double biasCorrection = fixedBeta2 > 0 ? 1 - Math.pow(fixedBeta2, t) : 1;
        double[] g2 = new double[size];
        for (int i = 0; i < size; i++) {
            g2[i] = g[i] * g[i] + eps1;
        }

        double[] vHat;
        if (isFactored()) {
            int rank = shape.length;
            int n = (int) shape[rank - 2];
            int cols = (int) shape[rank - 1];
            int batches = size / (n * cols);
            if (r == null) {
                r = new double[batches * n];
                c = new double[batches * cols];
            }
            vHat = new double[size];
            for (int b = 0; b < batches; b++) {
                for (int i = 0; i < n; i++) {
                    double rowSum = 0;
                    for (int j = 0; j < cols; j++) {
                        rowSum += g2[(b * n + i) * cols + j];
                    }
                    r[b * n + i] = beta2 * r[b * n + i] + (1 - beta2) * rowSum;
                }
                for (int j = 0; j < cols; j++) {
                    double colSum = 0;
                    for (int i = 0; i < n; i++) {
                        colSum += g2[(b * n + i) * cols + j];
                    }
                    c[b * cols + j] = beta2 * c[b * cols + j] + (1 - beta2) * colSum;
                }
                double sumR = 0;
                for (int i = 0; i < n; i++) {
                    sumR += r[b * n + i];
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < cols; j++) {
                        vHat[(b * n + i) * cols + j] = r[b * n + i] * c[b * cols + j] / sumR;
                    }
                }
            }
        } else {
            if (v == null) {
                v = new double[size];
            }
            for (int i = 0; i < size; i++) {
                v[i] = beta2 * v[i] + (1 - beta2) * g2[i];
            }
            vHat = v;
        }

        double[] u = new double[size];
        for (int i = 0; i < size; i++) {
            u[i] = g[i] / Math.sqrt(vHat[i] / biasCorrection);
        }
        double updateRms = rms(u);
        double divisor = Math.max(1, updateRms / clipThreshold);
        double[] s = new double[size];
        for (int i = 0; i < size; i++) {
            s[i] = alpha * u[i] / divisor;
        }
        if (beta1 > 0) {
            if (m == null) {
                m = new double[size];
            }
            for (int i = 0; i < size; i++) {
                m[i] = beta1 * m[i] + (1 - beta1) * s[i];
                s[i] = m[i];
            }
        }
        if (weightDecay > 0) {
            for (int i = 0; i < size; i++) {
                x[i] = x[i] - weightDecay * alpha * x[i];
            }
        }
        for (int i = 0; i < size; i++) {
            x[i] = x[i] - s[i];
        }

        lastAlpha = alpha;
        lastUpdateRms = updateRms;
        lastClipped = updateRms > clipThreshold;
        if (lastClipped) {
            clippedSteps++;
        } else {
            unclippedSteps++;
        }
    }

    static double rms(double[] a) {
        double sum = 0;
        for (double v : a) {
            sum += v * v;
        }
        return Math.sqrt(sum / a.length);
    }
}
