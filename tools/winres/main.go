// Command winres writes the Windows resources of milady-cloud.exe (icon,
// application manifest, version information) as a COFF object (.syso) that
// `go build` links in when GOOS=windows. It does what the wails CLI does at
// build time, so that `make windows` needs no wails CLI.
//
// Inputs: build/appicon.png (the icon, resized to the usual sizes),
// build/windows/wails.exe.manifest and build/windows/info.json (Go
// templates), and wails.json's "info" block for names. It lives in its own
// module so that its dependencies stay out of the app's go.mod.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"text/template"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"
)

// data is what the templates in build/windows/ see.
type data struct {
	Info           info   // wails.json "info"
	Version        string // a.b.c.d, the only form Windows version fields take
	DisplayVersion string // the version the app prints, e.g. 0.1.0+git3.660d42f
	OutputFilename string
}

type info struct {
	CompanyName    string `json:"companyName"`
	ProductName    string `json:"productName"`
	ProductVersion string `json:"productVersion"`
	Copyright      string `json:"copyright"`
	Comments       string `json:"comments"`
}

var quad = regexp.MustCompile(`^\d{1,5}\.\d{1,5}\.\d{1,5}\.\d{1,5}$`)

func main() {
	root := flag.String("root", ".", "the repository root")
	ver := flag.String("version", "", "file version a.b.c.d (each part 0-65535)")
	display := flag.String("display-version", "", "the version as the app prints it (default: -version)")
	name := flag.String("name", "milady-cloud.exe", "OriginalFilename in the version information")
	out := flag.String("o", "milady-cloud_windows_amd64.syso", "the .syso to write")
	flag.Parse()
	if err := run(*root, *ver, *display, *name, *out); err != nil {
		fmt.Fprintln(os.Stderr, "winres:", err)
		os.Exit(1)
	}
}

func run(root, ver, display, name, out string) error {
	if !quad.MatchString(ver) {
		return fmt.Errorf("version %q is not of the form a.b.c.d", ver)
	}
	if display == "" {
		display = ver
	}
	var w struct {
		Info info `json:"info"`
	}
	raw, err := os.ReadFile(filepath.Join(root, "wails.json"))
	if err != nil {
		return fmt.Errorf("read wails.json: %w", err)
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return fmt.Errorf("parse wails.json: %w", err)
	}
	d := data{Info: w.Info, Version: ver, DisplayVersion: display, OutputFilename: name}

	var rs winres.ResourceSet
	if err := setIcon(&rs, filepath.Join(root, "build", "appicon.png")); err != nil {
		return err
	}
	manifest, err := render(filepath.Join(root, "build", "windows", "wails.exe.manifest"), d)
	if err != nil {
		return err
	}
	m, err := winres.AppManifestFromXML(manifest)
	if err != nil {
		return fmt.Errorf("parse manifest: %w", err)
	}
	rs.SetManifest(m)
	vjson, err := render(filepath.Join(root, "build", "windows", "info.json"), d)
	if err != nil {
		return err
	}
	var vi version.Info
	if err := vi.UnmarshalJSON(vjson); err != nil {
		return fmt.Errorf("parse info.json: %w", err)
	}
	rs.SetVersionInfo(vi)

	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	if err := rs.WriteObject(f, winres.ArchAMD64); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// setIcon makes the application icon from the PNG. It takes the resource
// id the wails CLI uses (RT_ICON, 3), which is where the Wails window looks
// for its own icon.
func setIcon(rs *winres.ResourceSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open icon: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode icon %s: %w", path, err)
	}
	icon, err := winres.NewIconFromResizedImage(img, []int{256, 64, 48, 32, 24, 16})
	if err != nil {
		return fmt.Errorf("resize icon: %w", err)
	}
	if err := rs.SetIcon(winres.RT_ICON, icon); err != nil {
		return fmt.Errorf("set icon: %w", err)
	}
	return nil
}

// render executes the template file with d; a missing field is an error,
// so that a template and this tool cannot drift apart unnoticed.
func render(path string, d data) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	t, err := template.New(filepath.Base(path)).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render %s: %w", path, err)
	}
	if b.Len() == 0 {
		return nil, errors.New(path + " is empty")
	}
	return b.Bytes(), nil
}
