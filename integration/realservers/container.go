package realservers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
)

// Image names. LocalImage is imported from the root filesystem that
// setup.sh debootstraps (no registry needed); PublicImage is for machines
// that can pull.
const (
	LocalImage  = "imapprobe/dovecot:2.3-local"
	PublicImage = "dovecot/dovecot:2.3-latest"
	// ImageEnv overrides the image choice.
	ImageEnv = "IMAPPROBE_DOVECOT_IMAGE"
	// RootfsEnv overrides where setup.sh caches the root filesystem tarball.
	RootfsEnv = "IMAPPROBE_DOVECOT_ROOTFS"
)

// DefaultRootfs is setup.sh's cache of the debootstrapped root filesystem.
const DefaultRootfs = "/var/tmp/imapprobe/dovecot-2.3-rootfs.tar"

// Container starts Dovecot in a container through testcontainers-go, with
// host networking (a private dockerd has no bridge) and the generated files
// copied in at the same paths as on the host.
type Container struct {
	Image    string
	provider *testcontainers.DockerProvider
}

// NewContainer connects to the engine (see StartEngine) and makes sure the
// image is there: the image named by IMAPPROBE_DOVECOT_IMAGE; else
// LocalImage, imported from setup.sh's root filesystem if need be; else
// PublicImage, which testcontainers pulls.
func NewContainer(ctx context.Context, e *Engine) (*Container, error) {
	if e == nil {
		return nil, &UnavailableError{What: "Docker", HowTo: howToDocker}
	}
	provider, err := testcontainers.NewDockerProvider(testcontainers.WithDefaultBridgeNetwork("host"))
	if err != nil {
		return nil, &UnavailableError{What: "Docker", HowTo: fmt.Sprintf("%v; %s", err, howToDocker)}
	}
	c := &Container{Image: os.Getenv(ImageEnv), provider: provider}
	if c.Image != "" {
		return c, nil
	}
	c.Image = LocalImage
	if c.hasImage(ctx) {
		return c, nil
	}
	rootfs := os.Getenv(RootfsEnv)
	if rootfs == "" {
		rootfs = DefaultRootfs
	}
	if _, err := os.Stat(rootfs); err != nil {
		c.Image = PublicImage
		return c, nil
	}
	if err := c.importRootfs(ctx, rootfs); err != nil {
		provider.Close()
		return nil, err
	}
	return c, nil
}

// Close releases the connection to the engine.
func (c *Container) Close() error { return c.provider.Close() }

func (c *Container) hasImage(ctx context.Context) bool {
	_, err := c.provider.Client().ImageInspect(ctx, c.Image)
	return err == nil
}

// importRootfs is `docker import ROOTFS LocalImage`.
func (c *Container) importRootfs(ctx context.Context, rootfs string) error {
	f, err := os.Open(rootfs)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := c.provider.Client().ImageImport(ctx, client.ImageImportSource{Source: f, SourceName: "-"}, c.Image, client.ImageImportOptions{})
	if err != nil {
		return fmt.Errorf("realservers: import %s as %s: %w", rootfs, c.Image, err)
	}
	defer res.Close()
	if _, err := io.Copy(io.Discard, res); err != nil {
		return err
	}
	if !c.hasImage(ctx) {
		return fmt.Errorf("realservers: import %s as %s left no image", rootfs, c.Image)
	}
	return nil
}

// Name implements Launcher.
func (*Container) Name() string { return "container" }

// Start implements Launcher.
func (c *Container) Start(ctx context.Context, cfg Config) (*Instance, error) {
	return retryPorts(ctx, cfg, c.start)
}

func (c *Container) start(ctx context.Context, cfg Config) (*Instance, error) {
	prep, err := prepare(cfg, func(string) string { return "/dev/stderr" })
	if err != nil {
		return nil, err
	}
	inst := prep.inst
	// The tar copy gives every file one mode; ownership comes from the host
	// (mail belongs to nobody when we are root). Without root, let Dovecot's
	// mail user write anyway.
	mode := int64(0o755)
	if !prep.layout.Root {
		mode = 0o777
	}
	conf := filepath.Join(inst.dir, "dovecot.conf")
	req := testcontainers.ContainerRequest{
		Image:      c.Image,
		Entrypoint: []string{"/usr/sbin/dovecot", "-F", "-c", conf},
		Files:      []testcontainers.ContainerFile{{HostFilePath: inst.dir, ContainerFilePath: inst.dir, FileMode: mode}},
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
		},
	}
	ctr, err := c.provider.RunContainer(ctx, req)
	if err != nil {
		inst.discard()
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
		}
		return nil, fmt.Errorf("realservers: run %s: %w", c.Image, err)
	}
	cb := &containerBackend{ctr: ctr, client: c.provider.Client()}
	inst.backend = cb
	watch, stopWatch := context.WithCancel(ctx)
	err = waitGreeting(ctx, inst.Addr(), cb.exitedChan(watch))
	stopWatch()
	if err != nil {
		return nil, inst.abandon("start Dovecot in "+c.Image, err)
	}
	if inst.Version, err = cb.version(ctx); err != nil {
		_ = inst.Stop()
		return nil, err
	}
	return inst, nil
}

type containerBackend struct {
	ctr    testcontainers.Container
	client client.APIClient
}

// exitedChan closes when the container stops running, so a start that
// failed is not waited for until the timeout.
func (b *containerBackend) exitedChan(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for ctx.Err() == nil {
			st, err := b.ctr.State(ctx)
			if err != nil || !st.Running {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return ch
}

func (b *containerBackend) version(ctx context.Context) (string, error) {
	code, out, err := b.ctr.Exec(ctx, []string{"/usr/sbin/dovecot", "--version"}, tcexec.Multiplexed())
	if err != nil || code != 0 {
		return "", fmt.Errorf("realservers: dovecot --version in container: exit %d: %v", code, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, out); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

func (b *containerBackend) stop(ctx context.Context) error {
	timeout := 15 * time.Second
	return b.ctr.Stop(ctx, &timeout)
}

func (b *containerBackend) kill(ctx context.Context) error {
	if st, err := b.ctr.State(ctx); err == nil && !st.Running {
		return nil
	}
	if _, err := b.client.ContainerKill(ctx, b.ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		return err
	}
	// Wait until the engine has reaped it, so its sockets are gone.
	for {
		st, err := b.ctr.State(ctx)
		if err != nil {
			return err
		}
		if !st.Running {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *containerBackend) log(ctx context.Context) (string, error) {
	rc, err := b.ctr.Logs(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), err
}

func (b *containerBackend) remove(ctx context.Context) error {
	return b.ctr.Terminate(ctx)
}
