// Entry point: pick the transport, build the one store, mount the app.

import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createBackend, type HostWindow } from './lib/backend';
import { createAppStore } from './lib/state';
import { readToken, takeToken } from './lib/token';
import './lib/theme';

takeToken({ location, history, storage: sessionStorage });
const backend = createBackend(window as Window & HostWindow, () => readToken(sessionStorage));
const store = createAppStore(backend);

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
mount(App, { target, props: { backend, store } });
