import { defineModule, route } from '../module.js';

/** Evidence files: tus uploads of ciphertext, their sealed descriptions, downloads. */
export default defineModule({
  name: 'files',
  permissions: ['file.upload', 'file.read', 'file.settings'],
  routes: [
    route(() => import('./upload-routes.js'), (c) => ({ files: c.services.files, uploads: c.services.uploads })),
    route(() => import('./file-routes.js'), (c) => ({ files: c.services.files, policy: c.policies.files })),
  ],
});
