/**
 * Adafactor (Shazeer &amp; Stern 2018) for DJL: an {@link ai.djl.training.optimizer.Optimizer} whose
 * second-moment state for an n x m weight is n + m floats instead of Adam's 2nm; and Adam/AdamW with
 * DJL's update and state that can be saved. Both are {@link dev.sublinear.optimizer.StatefulOptimizer}s.
 *
 * <p>This package depends on DJL only, so a DJL user can take it alone. The semantics follow the
 * project's {@code adafactor.md}; {@link dev.sublinear.optimizer.Adafactor} is the entry point.
 */
package dev.sublinear.optimizer;
