/**
 * Data in and out of tensors: sources (Kermany folders, MedMNIST npz), the JPEG decoder, patient
 * splits, the prepared data set (.npy + manifest) and its writers and checks. Imports config and io
 * only.
 */
package io.cxr.core.data;
