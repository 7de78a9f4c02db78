import type { Instance, Link } from './instance.js';

/** A link and the instance its connection events are reported under. */
export interface LinkEntry {
  link: Link;
  owner: Instance;
}

/**
 * The tables replies and connection events are routed by: instances by uid,
 * links by id. Ids and generations only grow, so an answer that arrives after
 * its instance, link or connection was replaced finds nothing to act on.
 */
export class Registry {
  private readonly instancesByUid = new Map<number, Instance>();
  private readonly linksById = new Map<number, LinkEntry>();
  private uidCounter = 1;
  private linkIdCounter = 1;
  private generationCounter = 1;

  nextUid(): number {
    return this.uidCounter++;
  }

  nextLinkId(): number {
    return this.linkIdCounter++;
  }

  nextGeneration(): number {
    return this.generationCounter++;
  }

  add(ri: Instance): void {
    this.instancesByUid.set(ri.uid, ri);
    this.linksById.set(ri.link.id, { link: ri.link, owner: ri });
  }

  instance(uid: number): Instance | undefined {
    return this.instancesByUid.get(uid);
  }

  instances(): IterableIterator<Instance> {
    return this.instancesByUid.values();
  }

  forgetInstance(ri: Instance): void {
    this.instancesByUid.delete(ri.uid);
  }

  link(id: number): LinkEntry | undefined {
    return this.linksById.get(id);
  }

  forgetLink(id: number): void {
    this.linksById.delete(id);
  }
}
