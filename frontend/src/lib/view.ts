// The props App gives its views. Every view renders from the backend and
// the live snapshot, and binds its heading so that App can move the focus
// to it when the view changes.
import type { Backend } from './backend';
import type { AppStore } from './state';
import type { Snapshot } from './types';

export interface ViewProps {
  backend: Backend;
  snapshot: Snapshot;
  heading?: HTMLElement;
}

/** A view that also reads or refreshes the app's store. */
export interface StoreViewProps extends ViewProps {
  store: AppStore;
}
