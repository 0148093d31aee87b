package dev.sublinear.training;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns PyTorch autograd off on this thread until closed. Grad mode is per thread in PyTorch and on
 * by default: inference from a request thread would otherwise record a graph for nothing.
 */
public final class NoGrad implements AutoCloseable {

    private final boolean restore;

    private NoGrad(boolean restore) {
        this.restore = restore;
    }

    public static NoGrad enter() {
        if (!"PyTorch".equals(Engine.getDefaultEngineName())) {
            return new NoGrad(false);
        }
        boolean on = JniUtils.isGradMode();
        if (on) {
            JniUtils.setGradMode(false);
        }
        return new NoGrad(on);
    }

    @Override
    public void close() {
        if (restore) {
            JniUtils.setGradMode(true);
        }
    }
}
