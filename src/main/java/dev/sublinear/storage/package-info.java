/**
 * Where files, checkpoints and models live: an {@link dev.sublinear.storage.ArtifactStore} and its
 * filesystem implementation (a local folder, or a shared volume in a cluster). JDK only.
 */
package dev.sublinear.storage;
