/* empty: the smallest WASI command, for startup figures (decode, validate,
 * compile, instantiate, run _start). Prints nothing and exits with 0. */
int main(void) { return 0; }
