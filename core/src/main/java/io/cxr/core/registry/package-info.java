/**
 * The model registry: MLflow's and the local store's, model references ({@code models:/name@alias})
 * and the promotion rule of the champion alias. Imports tracking and the layers below it.
 */
package io.cxr.core.registry;
