/** The one vocabulary of statuses: the constants by their spec names, and their names by number. */
export * from './codes.js';
export { ALIASES, formatStatus, statusHex, statusName, statusTable } from './names.js';
