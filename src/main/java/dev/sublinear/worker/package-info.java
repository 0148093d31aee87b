/**
 * The worker role: owns devices, registers and heartbeats, claims queued jobs that fit its free
 * devices, runs them in the training layer, and reports progress, checkpoints and results through
 * the job store. Honours cancel and pause between steps.
 */
package dev.sublinear.worker;
