// Stands in for prettier's Babel and estree plugins (see prettier-standalone.js).
export const parsers = {};
export const printers = {};
export default { parsers, printers };
