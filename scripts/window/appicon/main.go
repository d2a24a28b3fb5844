// Command appicon draws build/appicon.png, the 1024×1024 application icon
// Wails turns into the platform icons: a white cloud with an "M" cut out of
// it, on a violet-to-pink rounded square inset on Apple's icon grid. The
// shapes are signed distance functions sampled 4×4 per pixel, so the edges
// are smooth without a drawing library. Run from the repository root:
//
//	go run ./scripts/window/appicon [-o build/appicon.png] [-size 1024]
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

func main() {
	out := flag.String("o", "build/appicon.png", "output PNG")
	size := flag.Int("size", 1024, "width and height in pixels")
	flag.Parse()
	img := render(*size)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "appicon:", err)
		os.Exit(1)
	}
	if err := png.Encode(f, img); err != nil {
		fmt.Fprintln(os.Stderr, "appicon: encode:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "appicon:", err)
		os.Exit(1)
	}
}

// Geometry in a 1024-unit space.
const (
	unit     = 1024.0
	inset    = 100.0 // Apple's grid: an 824-unit tile centred on 1024
	radius   = 185.0
	stroke   = 26.0 // half the width of the M's strokes
	supersmp = 4
)

var (
	top    = [3]float64{0x8b, 0x5c, 0xf6} // violet
	bottom = [3]float64{0xdb, 0x27, 0x77} // pink
)

func render(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := unit / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < supersmp; sy++ {
				for sx := 0; sx < supersmp; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/supersmp) * scale
					y := (float64(py) + (float64(sy)+0.5)/supersmp) * scale
					cr, cg, cb, ca := sample(x, y)
					r, g, b, a = r+cr*ca, g+cg*ca, b+cb*ca, a+ca
				}
			}
			n := float64(supersmp * supersmp)
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / n * 255)),
			})
		}
	}
	return img
}

// sample returns the colour (0–255) and coverage (0 or 1) at one point.
func sample(x, y float64) (r, g, b, a float64) {
	if roundedBox(x, y, inset, inset, unit-inset, unit-inset, radius) > 0 {
		return 0, 0, 0, 0
	}
	if cloud(x, y) <= 0 && letterM(x, y) > 0 {
		return 255, 255, 255, 1
	}
	// Diagonal gradient, top-left to bottom-right.
	t := ((x - inset) + (y - inset)) / (2 * (unit - 2*inset))
	t = math.Max(0, math.Min(1, t))
	return lerp(top[0], bottom[0], t), lerp(top[1], bottom[1], t), lerp(top[2], bottom[2], t), 1
}

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

// cloud is a flat-bottomed cloud: three puffs joined to a pill-shaped base
// by a slightly smoothed union (no notches where they meet), cut flat at
// the base's bottom edge.
func cloud(x, y float64) float64 {
	puffs := math.Min(circle(x, y, 392, 548, 128), circle(x, y, 548, 470, 166))
	puffs = math.Min(puffs, circle(x, y, 672, 566, 112))
	d := smoothMin(roundedBox(x, y, 262, 520, 762, 700, 90), puffs, 20)
	return math.Max(d, y-700)
}

// smoothMin is the polynomial smooth minimum: a union rounded over k units.
func smoothMin(a, b, k float64) float64 {
	h := math.Max(k-math.Abs(a-b), 0) / k
	return math.Min(a, b) - h*h*k/4
}

// letterM is the "M" cut out of the cloud, as four round-capped strokes.
func letterM(x, y float64) float64 {
	pts := [][2]float64{{428, 652}, {428, 524}, {512, 604}, {596, 524}, {596, 652}}
	d := math.Inf(1)
	for i := 0; i+1 < len(pts); i++ {
		d = math.Min(d, segment(x, y, pts[i], pts[i+1])-stroke)
	}
	return d
}

func circle(x, y, cx, cy, r float64) float64 { return math.Hypot(x-cx, y-cy) - r }

// roundedBox is the distance to the box (x0,y0)-(x1,y1) with corner radius r.
func roundedBox(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := (x0+x1)/2, (y0+y1)/2
	hx, hy := (x1-x0)/2-r, (y1-y0)/2-r
	qx, qy := math.Abs(x-cx)-hx, math.Abs(y-cy)-hy
	out := math.Hypot(math.Max(qx, 0), math.Max(qy, 0))
	in := math.Min(math.Max(qx, qy), 0)
	return out + in - r
}

func segment(x, y float64, a, b [2]float64) float64 {
	px, py := x-a[0], y-a[1]
	bx, by := b[0]-a[0], b[1]-a[1]
	t := math.Max(0, math.Min(1, (px*bx+py*by)/(bx*bx+by*by)))
	return math.Hypot(px-bx*t, py-by*t)
}
