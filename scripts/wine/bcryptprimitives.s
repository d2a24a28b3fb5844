# A stand-in for Windows' bcryptprimitives.dll, which Debian 12's Wine 8
# lacks. Go >= 1.24 loads it at start for ProcessPrng and exits at once
# without it. The export itself is a forwarder to advapi32's
# SystemFunction036 (RtlGenRandom), declared in bcryptprimitives.def: both
# take (buffer, length) and return nonzero on success, and Go reads only
# the low byte of the result. This file is only the DLL's entry point.
# Built by scripts/wine/setup.sh with x86_64-w64-mingw32-as and -ld; used
# only in the Wine test prefixes, never shipped.

	.text
	.globl	DllMain
# BOOL WINAPI DllMain(HINSTANCE, DWORD, LPVOID): nothing to set up.
DllMain:
	movl	$1, %eax
	ret
