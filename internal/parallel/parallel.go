// Package parallel runs independent pieces of work on every CPU: parsing a
// package's files, rendering a package's CNFs. Results stay in input order
// because each piece writes only its own slot.
package parallel

import (
	"runtime"
	"sync"
)

// ForEach runs f(0), ..., f(n-1) on up to GOMAXPROCS goroutines and returns
// the error of the lowest index that failed.
func ForEach(n int, f func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
