package tray

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestRenderIconEveryVariant checks every icon decodes as a PNG of the
// requested size and that no two variants look the same, at the sizes
// panels use and the size the tray ships.
func TestRenderIconEveryVariant(t *testing.T) {
	for _, size := range []int{16, 22, 24, DefaultIconSize, 64} {
		seen := map[string]IconKey{}
		for _, k := range AllIconKeys() {
			data := RenderIcon(k, size)
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%v@%d: not a PNG: %v", k, size, err)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Fatalf("%v@%d: bounds %v", k, size, b)
			}
			sig := string(pixels(img))
			if other, dup := seen[sig]; dup {
				t.Errorf("%v and %v render identically at %d px", k, other, size)
			}
			seen[sig] = k
		}
	}
}

func pixels(img image.Image) []byte {
	var out []byte
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out = append(out, c.R, c.G, c.B, c.A)
		}
	}
	return out
}

// TestRenderIconShapes samples a few pixels so the glyphs keep meaning what
// the README says: hollow vs filled centre, transparent corners, badge
// colours.
func TestRenderIconShapes(t *testing.T) {
	const size = 64
	at := func(k IconKey, x, y int) color.NRGBA {
		img, err := png.Decode(bytes.NewReader(RenderIcon(k, size)))
		if err != nil {
			t.Fatal(err)
		}
		return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	}
	centre := size / 2
	if c := at(IconKey{Base: GlyphDisconnected}, centre, centre); c.A != 0 {
		t.Errorf("disconnected ring should be hollow, centre = %v", c)
	}
	if c := at(IconKey{Base: GlyphConnected}, centre-8, centre); c != colGreen {
		t.Errorf("connected disk centre = %v, want %v", c, colGreen)
	}
	if c := at(IconKey{Base: GlyphError}, centre, centre); c != colWhite {
		t.Errorf("error glyph centre should be the white ×, got %v", c)
	}
	if c := at(IconKey{Base: GlyphError}, centre, centre-20); c != colRed {
		t.Errorf("error disk = %v, want %v", c, colRed)
	}
	if c := at(IconKey{Base: GlyphConnecting}, centre+10, centre-10); c.A != 0 {
		t.Errorf("connecting arc should leave its top-right open, got %v", c)
	}
	if c := at(IconKey{Base: GlyphConnecting}, centre-21, centre); c != colBlue {
		t.Errorf("connecting arc left side = %v, want %v", c, colBlue)
	}
	for _, k := range AllIconKeys() {
		if c := at(k, 0, 0); c.A != 0 {
			t.Errorf("%v: top-left corner should be transparent, got %v", k, c)
		}
	}
	// Badge centre sits near the bottom-right corner.
	bc := size - int(6.5*2) - 3
	if c := at(IconKey{Base: GlyphConnected, Badge: BadgeLow}, bc, bc); c != colAmber {
		t.Errorf("low badge = %v, want %v", c, colAmber)
	}
	if c := at(IconKey{Base: GlyphConnected, Badge: BadgeCritical}, bc+6, bc); c != colRed {
		t.Errorf("critical badge = %v, want %v", c, colRed)
	}
}

func TestRenderIconsHasEveryKey(t *testing.T) {
	set := RenderIcons(16)
	if len(set) != len(Glyphs)*len(Badges) {
		t.Fatalf("RenderIcons made %d icons, want %d", len(set), len(Glyphs)*len(Badges))
	}
	for _, k := range AllIconKeys() {
		if len(set[k]) == 0 {
			t.Errorf("missing %v", k)
		}
	}
}

func TestIconKeyString(t *testing.T) {
	if s := (IconKey{GlyphConnecting, BadgeCritical}).String(); s != "connecting+critical" {
		t.Errorf("String = %q", s)
	}
	for _, g := range Glyphs {
		for _, b := range Badges {
			if (IconKey{g, b}).String() == "" {
				t.Errorf("empty name for %d/%d", g, b)
			}
		}
	}
}

func TestEncodeICO(t *testing.T) {
	pngData := RenderIcon(IconKey{Base: GlyphConnected}, 32)
	ico := encodeICO(pngData, 32)
	if len(ico) != 22+len(pngData) {
		t.Fatalf("len = %d, want %d", len(ico), 22+len(pngData))
	}
	header := []byte{0, 0, 1, 0, 1, 0, 32, 32, 0, 0, 1, 0, 32, 0}
	if !bytes.Equal(ico[:len(header)], header) {
		t.Errorf("header = % x, want % x", ico[:len(header)], header)
	}
	if !bytes.Equal(ico[22:], pngData) {
		t.Error("PNG payload not at offset 22")
	}
	if big := encodeICO(pngData, 256); big[6] != 0 || big[7] != 0 {
		t.Errorf("256 px must be stored as 0, got %d×%d", big[6], big[7])
	}
}
