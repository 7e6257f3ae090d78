"""Near-duplicate screening: which declarations' long texts are near-identical copies of each other.

``text`` normalises the four long texts (numbers, dates and the community's own names away) and splits
them into passages; ``sketch`` turns them into MinHash signatures (numpy, the values ``datasketch``'s
affine32 scheme gives) and finds candidates with LSH; ``score`` measures a candidate pair exactly
(``rapidfuzz``) and names the shared passages; ``service`` keeps the signatures and pairs of the store up to date and answers the lists.
"""
