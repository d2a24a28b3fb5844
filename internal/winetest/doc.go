// Package winetest holds the end-to-end tests of the Windows build under
// Wine (build tag winee2e). They run only from scripts/wine/test.sh (make
// test-windows), which prepares a Wine prefix and a display and passes the
// signed .exe and installer in MILADY_WINE_EXE and MILADY_WINE_SETUP.
package winetest
