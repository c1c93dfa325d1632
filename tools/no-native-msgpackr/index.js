// msgpackr wraps this require in try/catch and uses its JavaScript decoder instead.
throw new Error('msgpackr-extract is replaced by a stub; msgpackr uses its JavaScript decoder');
