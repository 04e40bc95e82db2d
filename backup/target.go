package backup

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
)

// LocalTarget is Metadata.Target for a backup of a workspace's local project,
// the one descope-run serves in-process when no real project is configured.
const LocalTarget = "local"

// Folders under a store's root that hold the backups of targets other than
// Descope's own service. No project folder may take these names.
const (
	localFolder = "local"
	urlFolder   = "url"
)

// targetFolder returns the folder, relative to a store's root, that holds the
// project folders of target:
//
//	""                    Descope's service (a host of descope.com, in any region), and no target
//	local                 LocalTarget
//	url/<host>[_<port>]   any other base URL: an emulator, a custom domain
//
// A local project takes the id of the real project its config pins, so
// without the folders of their own its backups would be listed, restored and
// pruned among the real project's.
func targetFolder(target string) (string, error) {
	switch target {
	case "":
		return "", nil
	case LocalTarget:
		return localFolder, nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("backup target %q is neither %q nor an http(s) base URL", target, LocalTarget)
	}
	host := strings.ToLower(u.Hostname())
	if host == "descope.com" || strings.HasSuffix(host, ".descope.com") {
		return "", nil
	}
	name := host
	if p := u.Port(); p != "" {
		name += "_" + p
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, name)
	if strings.HasPrefix(name, ".") {
		name = "_" + name
	}
	return urlFolder + "/" + name, nil
}

// WithTarget keeps the store to the backups of one target: LocalTarget, or
// the base URL of the API that serves the project. Write records the target
// in each backup, and every method works in the target's own folders (see
// the package documentation). Load alone also finds, by id, a backup of the
// same project taken from another target: a restore refuses it unless asked
// (Metadata.Target says where it came from). Without WithTarget, a store
// works in the folders of Descope's service and records no target.
func WithTarget(target string) Option { return func(o *options) { o.target = target } }

// warnedDirs holds the folders whose loose permissions were reported, so that
// each is reported once per process.
var warnedDirs sync.Map

// checkPerms warns, once per folder and process, about each of dirs (that
// exists) which users other than its owner can write to: they could change
// or delete backups, or plant one for a restore to apply. Write creates its
// folders 0700; a looser one was made by someone else.
func (s *DirStore) checkPerms(dirs ...string) {
	for _, d := range dirs {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) || err != nil || !fi.IsDir() {
			continue
		}
		perm := fi.Mode().Perm()
		if perm&0o022 == 0 {
			continue
		}
		if _, done := warnedDirs.LoadOrStore(d, true); done {
			continue
		}
		who := "its group"
		switch {
		case perm&0o022 == 0o022:
			who = "its group and every user"
		case perm&0o002 != 0:
			who = "every user"
		}
		s.log.Warn(fmt.Sprintf("backup folder %s (mode %04o) can be written by %s, who can change or delete backups or plant one for a restore; run: chmod go-w %s",
			d, perm, who, d))
	}
}
