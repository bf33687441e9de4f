/**
 * Access profiles: which blocks a workload (a VM boot, a model load) read and in which order
 * ({@link dev.cairn.profile.AccessProfile}, its file layout and signature), recording one while a
 * mount serves reads ({@link dev.cairn.profile.ProfileRecorder}), and fetching a profile's blocks
 * in the background ahead of the readers ({@link dev.cairn.profile.ProfileFetcher}). Must not know
 * where a profile file lives (next to the snapshot, a URL, a bucket: the command line and the mount
 * find it), FUSE, or how sources cache what is fetched.
 */
package dev.cairn.profile;
