/**
 * Files and formats: atomic writes (temp file, then rename), hashing, JSON and YAML mappers. The
 * bottom layer: imports nothing of cxr but the root package.
 */
package io.cxr.core.io;
