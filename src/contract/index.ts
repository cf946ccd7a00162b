export * from './constants.js';
export * from './errors.js';
export * from './events.js';
export * from './principal.js';
export * from './route.js';
export { ROUTES, ROUTE_LIST, type RouteName } from './routes/index.js';
