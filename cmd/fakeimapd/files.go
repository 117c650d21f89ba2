package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileFresh writes data to path as a new file with mode perm: a temp
// file created with O_EXCL (os.CreateTemp) in the same directory, renamed
// over path. An existing file does not lend its mode (a 0644 file would
// leave passwords world-readable), and a symlink at path is replaced, not
// followed.
func writeFileFresh(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes the file 0600; Chmod sets perm exactly, whatever
	// the umask.
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}
