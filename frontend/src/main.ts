// The locale guard runs before every other module (uPlot reads navigator.language on load).
import './lib/locale-guard';
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');

export default mount(App, { target });
