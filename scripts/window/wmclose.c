/*
 * wmclose — ask an X11 top-level window to close the way a window manager's
 * close button does: send it a WM_PROTOCOLS ClientMessage carrying
 * WM_DELETE_WINDOW. The window test runs on Xvfb with no window manager, so
 * nothing else would deliver that message; xdotool's windowclose/windowkill
 * destroy the window or kill the client instead, which is not the path a
 * user's click takes (GTK's delete-event → Wails' OnBeforeClose).
 *
 * usage: wmclose WINDOW-ID      (decimal or 0x-hex, e.g. from xdotool search)
 *        wmclose --name TITLE   (the first mapped-or-not top-level window
 *                                whose _NET_WM_NAME or WM_NAME is TITLE)
 *
 * Exits 0 once the message is sent and flushed, 1 when the window cannot be
 * found or does not take part in WM_DELETE_WINDOW, 2 on bad usage or no
 * display. Compiled by window-test.sh at test time:
 *   gcc -O2 -Wall -Wextra -o wmclose wmclose.c -lX11
 */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* window_name returns the window's UTF-8 _NET_WM_NAME, or else its WM_NAME,
 * as a malloc'd string, or NULL. */
static char *window_name(Display *dpy, Window w) {
	Atom utf8 = XInternAtom(dpy, "UTF8_STRING", False);
	Atom net_wm_name = XInternAtom(dpy, "_NET_WM_NAME", False);
	Atom type;
	int format;
	unsigned long n, after;
	unsigned char *data = NULL;
	if (XGetWindowProperty(dpy, w, net_wm_name, 0, 4096, False, utf8, &type, &format, &n, &after,
	                       &data) == Success &&
	    data != NULL && type == utf8 && format == 8) {
		char *s = strndup((const char *)data, n);
		XFree(data);
		return s;
	}
	if (data != NULL)
		XFree(data);
	char *name = NULL;
	if (XFetchName(dpy, w, &name) && name != NULL) {
		char *s = strdup(name);
		XFree(name);
		return s;
	}
	return NULL;
}

/* find_by_name looks at the root's children (top-level windows: with no
 * window manager nothing reparents them) for one named title. */
static Window find_by_name(Display *dpy, const char *title) {
	Window root = DefaultRootWindow(dpy), parent, *kids = NULL, found = None;
	unsigned int n = 0;
	if (!XQueryTree(dpy, root, &root, &parent, &kids, &n))
		return None;
	for (unsigned int i = 0; i < n && found == None; i++) {
		char *name = window_name(dpy, kids[i]);
		if (name != NULL && strcmp(name, title) == 0)
			found = kids[i];
		free(name);
	}
	if (kids != NULL)
		XFree(kids);
	return found;
}

/* speaks_delete reports whether the window lists WM_DELETE_WINDOW in its
 * WM_PROTOCOLS, i.e. it asked to be sent the message rather than killed. */
static int speaks_delete(Display *dpy, Window w, Atom wm_delete) {
	Atom *protocols = NULL;
	int n = 0, ok = 0;
	if (XGetWMProtocols(dpy, w, &protocols, &n)) {
		for (int i = 0; i < n; i++)
			if (protocols[i] == wm_delete)
				ok = 1;
		XFree(protocols);
	}
	return ok;
}

int main(int argc, char **argv) {
	const char *name = NULL, *id = NULL;
	if (argc == 3 && strcmp(argv[1], "--name") == 0)
		name = argv[2];
	else if (argc == 2 && argv[1][0] != '-')
		id = argv[1];
	else {
		fprintf(stderr, "usage: %s WINDOW-ID | --name TITLE\n", argv[0]);
		return 2;
	}
	Display *dpy = XOpenDisplay(NULL);
	if (dpy == NULL) {
		fprintf(stderr, "wmclose: cannot open display %s\n", XDisplayName(NULL));
		return 2;
	}

	Window w = None;
	if (id != NULL) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(id, &end, 0);
		if (errno != 0 || *end != '\0' || v == 0) {
			fprintf(stderr, "wmclose: not a window id: %s\n", id);
			return 2;
		}
		w = (Window)v;
	} else if ((w = find_by_name(dpy, name)) == None) {
		fprintf(stderr, "wmclose: no top-level window named \"%s\"\n", name);
		return 1;
	}

	Atom wm_protocols = XInternAtom(dpy, "WM_PROTOCOLS", False);
	Atom wm_delete = XInternAtom(dpy, "WM_DELETE_WINDOW", False);
	if (!speaks_delete(dpy, w, wm_delete)) {
		fprintf(stderr, "wmclose: window 0x%lx does not list WM_DELETE_WINDOW in WM_PROTOCOLS\n", w);
		return 1;
	}

	/* What ICCCM §4.2.8.1 prescribes and window managers send: no event
	 * mask, so the event goes to the window's owner only. */
	XEvent ev;
	memset(&ev, 0, sizeof ev);
	ev.xclient.type = ClientMessage;
	ev.xclient.window = w;
	ev.xclient.message_type = wm_protocols;
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = (long)wm_delete;
	ev.xclient.data.l[1] = CurrentTime;
	if (!XSendEvent(dpy, w, False, NoEventMask, &ev)) {
		fprintf(stderr, "wmclose: XSendEvent to 0x%lx failed\n", w);
		return 1;
	}
	XSync(dpy, False);
	XCloseDisplay(dpy);
	return 0;
}
