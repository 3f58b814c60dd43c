// SPDX-License-Identifier: MIT
// frond.js as an ES module: import frond, { ws } from "./frond.mjs".
// js/frond.js is a UMD script: in Node (js/package.json makes it CommonJS) it
// is this import's default export; in a browser, evaluating it as a module
// sets globalThis.frond. Note: tina4-c serves only /js/frond.js; a page that
// wants `import` can also write `import "/js/frond.js"` and use globalThis.frond.
import * as mod from './frond.js';

const frond = mod.default && typeof mod.default.ws === 'function' ? mod.default : globalThis.frond;
export default frond;
export const ws = frond.ws;
export const FrondSocket = frond.FrondSocket;
export const resolveUrl = frond.resolveUrl;
export const reconnectDelay = frond.reconnectDelay;
