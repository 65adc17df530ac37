// Renders a PDF's pages into canvases with pdf.js, for the document preview.
import * as pdfjs from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { canvasSize } from './logic';

pdfjs.GlobalWorkerOptions.workerSrc = workerUrl;

export async function renderPdf(bytes: Uint8Array, into: HTMLElement, scale = 1.3): Promise<number> {
	const doc = await pdfjs.getDocument({ data: bytes }).promise;
	into.replaceChildren();
	for (let n = 1; n <= doc.numPages; n++) {
		const page = await doc.getPage(n);
		const viewport = page.getViewport({ scale });
		const size = canvasSize(viewport.width, viewport.height, window.devicePixelRatio);
		const canvas = document.createElement('canvas');
		canvas.width = size.pixelWidth;
		canvas.height = size.pixelHeight;
		canvas.style.width = size.cssWidth;
		canvas.dataset.testid = 'preview-page';
		into.appendChild(canvas);
		const context = canvas.getContext('2d');
		if (context) {
			const transform = size.density === 1 ? undefined : [size.density, 0, 0, size.density, 0, 0];
			await page.render({ canvasContext: context, viewport, transform }).promise;
		}
	}
	return doc.numPages;
}
