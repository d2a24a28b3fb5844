// Command iconsheet renders every tray icon variant side by side, on a light
// and a dark panel and at 64, 24 and 16 px, into one PNG for the README:
//
//	go run ./app/tray/cmd/iconsheet -o build/tray/icons.png
//
// Rows are the base glyphs (disconnected, connecting, connected, error);
// columns are the badges (none, low, critical, error).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"github.com/milady-ai/milady-cloud/app/tray"
)

// Layout of one cell: the big icon, then the two panel sizes below-right.
const (
	big    = 64
	pad    = 12
	cellW  = big + pad + 24 + pad
	cellH  = big + pad
	panelW = pad + 4*cellW
	panelH = pad + 4*cellH
)

var panels = []color.NRGBA{
	{R: 0xf2, G: 0xf2, B: 0xf2, A: 0xff}, // light panel
	{R: 0x2b, G: 0x2b, B: 0x2b, A: 0xff}, // dark panel
}

func main() {
	out := flag.String("o", "build/tray/icons.png", "output PNG `file`")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "iconsheet:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	sheet := image.NewRGBA(image.Rect(0, 0, len(panels)*panelW, panelH))
	for p, bg := range panels {
		origin := image.Pt(p*panelW, 0)
		draw.Draw(sheet, image.Rect(0, 0, panelW, panelH).Add(origin), image.NewUniform(bg), image.Point{}, draw.Src)
		for row, g := range tray.Glyphs {
			for col, b := range tray.Badges {
				k := tray.IconKey{Base: g, Badge: b}
				at := origin.Add(image.Pt(pad+col*cellW, pad+row*cellH))
				if err := place(sheet, k, big, at); err != nil {
					return err
				}
				if err := place(sheet, k, 24, at.Add(image.Pt(big+pad, 0))); err != nil {
					return err
				}
				if err := place(sheet, k, 16, at.Add(image.Pt(big+pad+4, 24+pad))); err != nil {
					return err
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, sheet); err != nil {
		return fmt.Errorf("encode sheet: %w", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write sheet: %w", err)
	}
	return nil
}

// place decodes one rendered icon and composites it onto the sheet at p.
func place(dst draw.Image, k tray.IconKey, size int, p image.Point) error {
	img, err := png.Decode(bytes.NewReader(tray.RenderIcon(k, size)))
	if err != nil {
		return fmt.Errorf("decode icon %s@%d: %w", k, size, err)
	}
	draw.Draw(dst, img.Bounds().Add(p), img, image.Point{}, draw.Over)
	return nil
}
