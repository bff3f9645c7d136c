#include <iostream>
int main() { std::cout << "netcanvas-cli\n"; return 0; }
