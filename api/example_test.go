package api_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
)

// Example lists the running jobs of every tenant of the demo fake.
func Example() {
	srv := kqifake.Demo(kqifake.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := api.New(api.Config{
		BaseURL:        srv.URL() + "/#/", // as pasted from the web UI
		User:           "demo",
		Password:       "demo",
		ServerLocation: srv.Location(),
		UserAgent:      "kamobot/example",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	tenants, err := c.Tenants(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tenants {
		res, err := c.List(ctx, t.ID, api.KindTraining, api.ListQuery{Status: "Running", WithTotal: true})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d running\n", t.Label(), res.Total)
		for _, j := range res.Jobs {
			fmt.Printf("  %s by %s\n", j.Name, j.CreatedBy)
		}
	}
	// Output:
	// Speech Lab: 1 running
	//   wav2vec2-large by kim
	// Vision: 1 running
	//   resnet50-imagenet-e90 by alice
	// 自然言語処理チーム: 1 running
	//   BERT日本語ファインチューニング by tanaka
}
