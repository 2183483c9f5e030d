// The one import path of page modules for vendored browser libraries
// (static/vendor/, fetched unmodified by static/vendor/fetch.py). The camera's
// barcode decoder is the exception: scanner.js loads it lazily, only when a
// camera starts on a browser without a native BarcodeDetector, so pages that
// only read USB scanners never download it.
export { io } from '../vendor/socket.io-client/dist/socket.io.esm.min.js';
