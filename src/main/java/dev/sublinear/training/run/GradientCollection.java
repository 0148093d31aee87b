package dev.sublinear.training.run;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL's PyTorch engine allows one open gradient collector per JVM (a static flag, not per thread):
 * a second run that opens one while another is collecting fails. Runs in one process therefore
 * take turns for their forward and backward passes; the lock is fair so that they alternate step
 * by step. Optimizer steps, evaluation and checkpoints run outside it.
 */
final class GradientCollection {

    static final ReentrantLock LOCK = new ReentrantLock(true);

    private GradientCollection() {}
}
