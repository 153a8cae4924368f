/**
 * The immutable, validated configuration: records bound from conf/config.yaml plus {@code
 * section.key=value} overrides ({@code ConfigLoader}), their checks ({@code ConfigValidator}) and
 * the enums of its choices. The bottom layer: imports only the root package and {@code io}.
 */
package io.cxr.core.config;
