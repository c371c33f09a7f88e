// Imported first by main.ts: makes navigator's locale safe before any library reads it.
import { guardNavigatorLocale } from './locale';

guardNavigatorLocale();
