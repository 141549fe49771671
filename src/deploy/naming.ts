/** Endpoint names: DNS-1035 labels, short enough that KServe's derived names stay under 63 characters. */

const MAX = 40;

export function endpointName(id: string, slug: string): string {
  const short = id.replace(/-/g, '').slice(0, 8);
  const tail = slug.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const name = `mg-${short}-${tail}`.slice(0, MAX).replace(/-+$/, '');
  return name;
}
