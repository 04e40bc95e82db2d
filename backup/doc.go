// Package backup is descope-run's backup of a Descope project: the file
// format, the directory store that keeps backups per project, their retention,
// an optional git history, and the desired state a restore plans against.
//
// # Format
//
// A backup is one JSON document (see [Backup] and [Encode]) whose top-level
// keys are, in this order: metadata, tenants, flows, theme, roles,
// permissions and project_settings, then, when the backup read any, sso
// (SSO configurations, without secrets) and sso_tenants (the tenants whose
// configurations were read). metadata.format_version is [FormatVersion];
// a reader refuses a newer version ([ErrUnsupportedVersion]). The
// metadata.checksum field guards the rest of the file ([ErrChecksum]), and a
// file cut short is reported as such ([ErrTruncated]).
//
// # Store
//
// A [DirStore] keeps backups under a root directory (by default
// [DefaultRoot], ~/.descope-mgmt/backups), one folder per target and
// project:
//
//	<root>/<project-id>/<created>_<id>.json                  Descope's service
//	<root>/local/<project-id>/<created>_<id>.json            a workspace's local project
//	<root>/url/<host>[_<port>]/<project-id>/<created>_<id>.json   another base URL
//
// where created is the UTC creation time (20060102T150405.000Z) and id is a
// short random identifier, unique within the project, by which users name a
// backup (a unique prefix is enough). A store made [WithTarget] works in its
// target's folders and records the target in each backup
// (metadata.target), so that a local project, which takes the id of the
// real project its config pins, never mixes its backups with the real
// project's. Directories are 0700, files 0600, every file is written
// atomically, and a folder that other users can write to is reported once.
//
// A [BlobStore] keeps the same layout in object storage, under the prefix of
// a store URL (s3://, gs://, file://; see [OpenBlobStore]) shared by a
// team's machines, beside the projects' locks and audit log. Both are a
// [Store], and share everything but how a file is written: listing and
// checking, finding a backup by id, and retention.
//
// [DirStore.List] checks every file and gives each backup a [Status]: good,
// damaged (never restored) or unverified (a newer format). [DirStore.Prune]
// applies a [RetentionPolicy], counting only good backups toward those it
// keeps, so the newest good backup is never deleted. With [WithGit] the root
// is also a git repository and each write or prune is a commit.
//
// # Restore
//
// A restore is a plan whose desired state is the backup: [RestoreState]
// builds that state for the kinds chosen, optionally with the ownership
// claims that delete what was created after the backup.
package backup
