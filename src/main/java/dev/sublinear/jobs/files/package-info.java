/**
 * Uploaded files: streamed in, validated against the dataset formats, stored, listed and deleted
 * through {@link dev.sublinear.jobs.files.FileService}; the table behind it is package-private.
 */
package dev.sublinear.jobs.files;
