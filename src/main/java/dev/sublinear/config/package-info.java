/** Configuration records and wiring; the only package that may depend on all the others. */
package dev.sublinear.config;
